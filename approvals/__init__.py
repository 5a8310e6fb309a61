"""Sign-off chains (签批): the approval engine and device signatures; knows nothing of documents."""
