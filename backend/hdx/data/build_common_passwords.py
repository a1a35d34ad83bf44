"""Rebuilds common-passwords.txt: the most used passwords of published breach statistics plus the
patterns people derive from them (words, names, keyboard walks, digit runs, years, leetspeak).

Run from this directory: python build_common_passwords.py
"""

from __future__ import annotations

from pathlib import Path

TOP = """
123456 password 123456789 12345678 12345 qwerty 1234567 111111 1234567890 123123 abc123 1234 password1
iloveyou 1q2w3e4r 000000 qwerty123 zaq12wsx dragon sunshine princess letmein 654321 monkey 27653 1qaz2wsx
123321 qwertyuiop superman asdfghjkl trustno1 football baseball welcome shadow master michael jordan23
hunter2 passw0rd p@ssw0rd p@ssword pa55word pa$$word admin admin123 root toor changeme default guest
login access secret letmein123 welcome1 welcome123 qwerty1 abcd1234 a1b2c3d4 aa123456 123qwe 1qaz2wsx3edc
qazwsxedc qweasdzxc zxcvbnm asdfgh qwertyu 1q2w3e 1q2w3e4r5t 1q2w3e4r5t6y q1w2e3r4t5y6 zxcvbnm123
asdf1234 qwer1234 147258369 159753 987654321 0987654321 11111111 00000000 88888888 666666 121212 112233
696969 7777777 987654 1111111111 1234512345 12341234 11223344 123654 789456123 456789 321321
"""

WORDS = """
password passwort motdepasse contrasena iloveyou sunshine princess football baseball basketball soccer
hockey welcome dragon monkey letmein shadow master superman batman spiderman ironman michael jennifer
jessica ashley charlie daniel thomas hunter ranger buster killer george summer winter spring autumn
freedom whatever computer internet starwars pokemon cheese chocolate butterfly flower purple orange
yellow silver golden diamond angel secret hospital doctor nurse medical health clinic pharmacy
laboratory patient admin administrator changeme default login access trustno1 maverick matrix
mustang corvette ferrari porsche mercedes harley yamaha chelsea arsenal liverpool barcelona madrid
juventus united london paris newyork chicago boston dallas texas florida california america canada
england france germany italy spain mexico brazil india china japan russia australia jesus christ
blessed faith heaven angels lovely loveme lover love baby babygirl sweety honey sugar cookie cupcake
banana apple cherry peanut pepper ginger tigger tiger lion eagle falcon phoenix wolf bear panther
jaguar cobra viper snake shark dolphin horse pony kitty kitten puppy doggy maggie bailey buddy max
molly lucky sophie chloe emma olivia ava isabella mia emily abigail madison elizabeth sarah hannah
samantha nicole amanda melissa michelle stephanie rachel lauren taylor jordan tyler brandon justin
joshua andrew matthew anthony christopher joseph david james john robert william richard charles
steven kevin brian jason ryan eric jacob nicholas alexander benjamin samuel patrick peter paul mark
martin richard edward victoria natalie rebecca laura heather amber crystal diana lisa maria anna
naruto sasuke goku pikachu mario zelda minecraft fortnite roblox gamer player soldier warrior ninja
samurai knight wizard magic dreams rainbow flowers forever together family friends friend mother
father mommy daddy sister brother number one qwerty asdfgh zxcvbn qazwsx computer1 letmein1 money
cash dollar rich success winner champion legend hello hellokitty goodbye nothing something
someone anything everything beautiful pretty happy smile sunflower summertime weekend holiday
coffee music guitar piano rockstar rocknroll metallica nirvana beatles elvis marley eminem
security system server database network oracle microsoft google facebook twitter linkedin apple123
samsung nokia iphone android windows linux ubuntu hacker cyber pentagon office company business
manager teacher student school college university student1 summer1 winter1 test tester testing
"""

KEYBOARD = """
qwertyuiop asdfghjkl zxcvbnm qwertyuiopasdfghjkl 1qaz2wsx3edc4rfv 1qaz2wsx3edc qazwsxedcrfv
qazwsxedc zaq1xsw2cde3 !qaz@wsx#edc 1q2w3e4r5t6y7u8i 1q2w3e4r5t6y q1w2e3r4t5y6u7i8 qweasdzxc
qweasdzxcqwe poiuytrewq lkjhgfdsa mnbvcxz qwertyqwerty asdfasdfasdf abcdefghijkl abcdefghijklm
abcdefghijklmnop abcdefg123456 abc123abc123 abcabcabcabc zyxwvutsrqpo 147258369147 147852369
741852963 963852741 159357159357 159753159753 123qweasdzxc 1234qwerasdf 1234qwerasdfzxcv
qwer1234asdf zxcv1234asdf
"""

SUFFIXES = [
    "",
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "!",
    "!!",
    "1!",
    "12!",
    "123!",
    "1234!",
    "@123",
    "#1",
    "01",
    "007",
    "69",
    "99",
    "00",
    "11",
    "22",
    "13",
    "777",
    "666",
    "321",
    "4321",
    "123123",
    "0000",
    "1111",
    "2468",
    "!@#",
    "!@#$",
    "_123",
    ".123",
]
YEARS = [str(year) for year in range(1970, 2031)]
LEET_SUFFIXES = ["", "1", "123", "1234", "!", "123!"]
LEET = str.maketrans({"a": "@", "o": "0", "e": "3", "s": "$", "i": "1"})


def build() -> list[str]:
    words = WORDS.split()
    out: set[str] = set(TOP.split()) | set(KEYBOARD.split())
    for word in words:
        for suffix in SUFFIXES:
            out.add(word + suffix)
        for suffix in LEET_SUFFIXES:
            out.add(word.translate(LEET) + suffix)
        for year in YEARS:
            out.add(word + year)
        out.add(word + word)
        out.add("ilove" + word)
        out.add("iloveyou" + word)
        out.add("my" + word)
        out.add("my" + word + "123")
        out.add("the" + word)
    # Passphrases people think are strong: two common words, or a word, a year and a symbol.
    favourites = words[:80]
    for first in favourites:
        for second in favourites:
            if first != second:
                out.add(first + second)
        for year in YEARS:
            out.add(first + year + "!")
    for walk in KEYBOARD.split():
        for suffix in SUFFIXES:
            out.add(walk + suffix)
    for digit in "0123456789":
        for length in range(6, 21):
            out.add(digit * length)
    sequence = "12345678901234567890"
    for length in range(6, 21):
        out.add(sequence[:length])
        out.add(sequence[:length][::-1])
        out.add("0" + sequence[:length])
    for pattern in ("passwordpassword", "password123456", "adminadmin", "changemenow", "letmeinnow"):
        out.add(pattern)
    return sorted(out)


def main() -> None:
    target = Path(__file__).with_name("common-passwords.txt")
    lines = build()
    header = [
        "# Common passwords, compared case-insensitively. Generated by build_common_passwords.py",
        "# from the most used passwords of published breach statistics and their usual variants.",
    ]
    target.write_text("\n".join(header + lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
