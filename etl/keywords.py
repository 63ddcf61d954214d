def normalize_key(phrase: str) -> str:  # TEMPORARY until the keywords branch lands
    return phrase.lower().strip()
