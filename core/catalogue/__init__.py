"""The catalogue: listings and the seller's writes, photos (checks, normalising), the
shop's search (keywords, filters, sorts, pages; by meaning: embeddings, semantic), its
address and the page it asks for (shop), the categories, colours and patterns (with their
generated token ids), favourites, and sellers' public pages."""
