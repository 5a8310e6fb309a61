"""Official documents (公文): records, versions, numbering, sending and receiving, 传阅, archive."""
