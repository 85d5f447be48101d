def is_isogram(text):
    pass
