"""What a bulk job is made of: the columns a file may have (``columns``: the person's, the block, the metadata
schema's fields the uploading admin may set) and reading them from an uploaded CSV file or the API's JSON rows
(``files``)."""
