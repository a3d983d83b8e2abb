"""What every package shares and none owns: Russian words and their lemmas, who speaks on a call, and the kinds of
personal data. It imports no other package of the project."""
