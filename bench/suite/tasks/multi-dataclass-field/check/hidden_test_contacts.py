from formatting import format_contact, format_list
from models import Contact


def test_phone_is_optional():
    contact = Contact("Ann", "ann@example.org")
    assert not contact.phone
    assert format_contact(contact) == "Ann <ann@example.org>"
    assert format_contact(Contact("Ann", "ann@example.org", "Acme")) == "Ann <ann@example.org>, Acme"


def test_phone_is_shown():
    text = format_contact(Contact("Ann", "ann@example.org", phone="555-0100"))
    assert "Ann <ann@example.org>" in text and "555-0100" in text
    text = format_contact(Contact("Bob", "bob@example.org", company="Acme", phone="555-0199"))
    assert "Bob <bob@example.org>" in text and "Acme" in text and "555-0199" in text


def test_list():
    people = [Contact("bob", "b@x.org"), Contact("Ann", "a@x.org", phone="1")]
    lines = format_list(people).splitlines()
    assert lines[0].startswith("Ann <a@x.org>") and lines[1] == "bob <b@x.org>"
