"""Convention service: alternating-training conventions, signatures, trainees and committees."""
