"""Documents: reading sources, and what a document says — its claims, its citations and which claim each citation supports."""
