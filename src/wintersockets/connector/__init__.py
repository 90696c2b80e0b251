"""wintersockets.connector layer."""
