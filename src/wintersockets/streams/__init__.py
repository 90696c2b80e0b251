"""wintersockets.streams layer."""
