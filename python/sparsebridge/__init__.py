"""sparsebridge: exchange sparse arrays between libraries through the binsparse protocol."""
