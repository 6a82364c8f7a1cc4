"""The search engine: route a question to library content, past questions and colleagues."""
