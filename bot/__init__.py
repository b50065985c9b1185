"""The platform-neutral conversation core of the IMVO bot."""
