"""Every write to the mirror that means something, one function per change (`<noun>_<verb>`)."""
