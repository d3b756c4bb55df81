"""albumsync: keeps SmugMug album names and photo_metadata rows in agreement."""
