"""The cut-off at which a risk head's score raises a CQC risk flag: read by routing and by the
training report alike, so it lives with the model that makes the scores."""

from __future__ import annotations

# The analyser's risk scores are probabilities from a classifier trained on very few positive
# examples (3 safeguarding and 36 Mental Health Act rows in the shared FFT set), so they are not
# well calibrated. A miss costs far more than a false alarm, which puts the cut-off below even
# odds; it is not lower because the phrase rules and themes carry recall, and scores near the
# floor of a poorly calibrated model are noise that would flood the CQC queue. Retune this from
# the precision-recall curve on the held-out set once the model is evaluated (aim: recall >= 0.9).
RISK_SCORE_THRESHOLD: float = 0.35
