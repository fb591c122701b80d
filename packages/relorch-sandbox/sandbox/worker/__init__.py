"""The sample Worker's public endpoints, served by whichever version the live deployment picks."""
