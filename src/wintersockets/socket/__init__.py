"""wintersockets.socket layer."""
