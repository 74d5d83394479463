"""AudioSet readers, audio decoding, clip sets, samplers and mixing."""
