"""Dataset readers (official formats), feature stores, vocabulary, fake-data writers."""
