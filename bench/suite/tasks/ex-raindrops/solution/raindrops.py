def convert(number):
    sounds = [word for divisor, word in ((3, "Pling"), (5, "Plang"), (7, "Plong")) if number % divisor == 0]
    return "".join(sounds) or str(number)
