import re


def abbreviate(phrase):
    words = re.split(r"[\s-]+", phrase)
    letters = [next((c for c in word if c.isalpha()), "") for word in words]
    return "".join(letters).upper()
