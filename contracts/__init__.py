"""The published event contract: envelope, audiences and event schemas."""
