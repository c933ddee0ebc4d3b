"""The dashboard's screens: the dashboard itself, the key reference and the list of kept runs."""
