"""Stage 3 of the pipeline: conversation and account state, kept in the store."""
