"""wintersockets.transport layer."""
