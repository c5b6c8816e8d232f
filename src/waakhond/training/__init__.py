"""Training and evaluation of the learned text tier (``waakhond train`` / ``waakhond evaluate``).

Only this package reads research data, and only from paths given at training time; nothing it reads is written
into the repository except model weights."""
