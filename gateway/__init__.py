"""The gateway: one HTTP entry federating the Mission sites and InterMire."""
