"""gantry: the command line of the Gantry control plane, a client of its REST API."""
