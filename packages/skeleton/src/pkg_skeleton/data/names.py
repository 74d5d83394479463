"""Human-readable class names (NTU-60, SBU); other datasets fall back to ``class N``."""

from __future__ import annotations

NTU60 = (
    "drink water", "eat meal/snack", "brushing teeth", "brushing hair", "drop", "pick up", "throw",
    "sit down", "stand up", "clapping", "reading", "writing", "tear up paper", "wear jacket",
    "take off jacket", "wear a shoe", "take off a shoe", "wear on glasses", "take off glasses",
    "put on a hat/cap", "take off a hat/cap", "cheer up", "hand waving", "kicking something",
    "reach into pocket", "hopping (one foot jumping)", "jump up", "make a phone call/answer phone",
    "playing with phone/tablet", "typing on a keyboard", "pointing to something with finger",
    "taking a selfie", "check time (from watch)", "rub two hands together", "nod head/bow",
    "shake head", "wipe face", "salute", "put the palms together", "cross hands in front",
    "sneeze/cough", "staggering", "falling", "touch head (headache)", "touch chest (heart pain)",
    "touch back (backache)", "touch neck (neckache)", "nausea or vomiting condition",
    "use a fan (with hand or paper)/feeling warm", "punching/slapping other person",
    "kicking other person", "pushing other person", "pat on back of other person",
    "point finger at the other person", "hugging other person", "giving something to other person",
    "touch other person's pocket", "handshaking", "walking towards each other",
    "walking apart from each other",
)


def class_names(dataset: str, num_classes: int) -> list[str]:
    if dataset.startswith("ntu"):
        return [NTU60[i] if i < len(NTU60) else f"A{i + 1:03d}" for i in range(num_classes)]
    if dataset == "sbu":
        from pkg_skeleton.data.sbu import ACTIONS

        return [ACTIONS[i] if i < len(ACTIONS) else f"class {i}" for i in range(num_classes)]
    if dataset.startswith("pkummd"):
        return ["background"] + [f"PKU-MMD action {i}" for i in range(1, num_classes)]
    return [f"class {i}" for i in range(num_classes)]
