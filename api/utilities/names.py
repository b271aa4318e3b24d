"""Random ``adjective-animal`` run names, the kind the original server gives unnamed runs."""

from __future__ import annotations

import secrets

ADJECTIVES = (
    "agile", "amber", "ancient", "arctic", "bold", "brave", "bright", "brisk", "calm",
    "cheerful", "clever", "cobalt", "cosmic", "crimson", "curious", "daring", "dashing",
    "eager", "electric", "elegant", "emerald", "fearless", "fiery", "friendly", "gentle",
    "giant", "glorious", "golden", "graceful", "happy", "hidden", "honest", "humble",
    "icy", "jolly", "keen", "kind", "lively", "lucky", "majestic", "mellow", "merry",
    "mighty", "misty", "nimble", "noble", "olive", "patient", "placid", "polite",
    "proud", "quick", "quiet", "rapid", "rustic", "sage", "scarlet", "shiny", "silent",
    "silver", "smart", "snowy", "spirited", "steady", "stellar", "sturdy", "sunny",
    "swift", "tactful", "tidy", "tranquil", "true", "vivid", "warm", "wise", "witty",
    "zealous",
)

ANIMALS = (
    "albatross", "alligator", "alpaca", "antelope", "armadillo", "badger", "bat",
    "beaver", "bison", "bobcat", "buffalo", "butterfly", "camel", "caribou", "cat",
    "cheetah", "chipmunk", "cobra", "condor", "cougar", "coyote", "crane", "crow",
    "deer", "dingo", "dolphin", "donkey", "dove", "dragonfly", "eagle", "eel", "elk",
    "falcon", "ferret", "finch", "flamingo", "fox", "frog", "gazelle", "gecko",
    "gibbon", "giraffe", "goose", "gorilla", "hare", "hawk", "hedgehog", "heron",
    "hippo", "horse", "hound", "ibex", "iguana", "jackal", "jaguar", "kangaroo",
    "kingfisher", "koala", "lemur", "leopard", "lion", "llama", "lynx", "macaw",
    "marmot", "meerkat", "mink", "moose", "narwhal", "newt", "ocelot", "octopus",
    "okapi", "orca", "otter", "owl", "panda", "panther", "parrot", "pelican",
    "penguin", "puffin", "python", "quail", "rabbit", "raccoon", "raven", "reindeer",
    "rhino", "robin", "salamander", "seal", "shark", "sheep", "skunk", "sloth",
    "sparrow", "squid", "stork", "swan", "tapir", "tiger", "toad", "toucan", "turtle",
    "viper", "vulture", "walrus", "weasel", "whale", "wolf", "wombat", "yak", "zebra",
)


def generate_slug() -> str:
    """A random ``adjective-animal`` name."""
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(ANIMALS)}"
