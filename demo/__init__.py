"""Demo data: the demo accounts and listings, and the drawings of their garments."""
