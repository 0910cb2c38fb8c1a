"""Pure rules of the trust layer: X.509 and CRL parsing and building (SM2 included), subject mapping, path
validation, signing inputs and the challenge format. No Django, Ninja or pydantic here."""
