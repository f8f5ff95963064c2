"""Comments written for these tests (tests/paper/README.md): the shared FFT data is never copied
into the repository; the benchmark reads it at run time."""

COMMENTS = [
    "The nurses on the ward were kind and explained everything to me.",
    "I waited four hours in the emergency department and nobody told me why.",
    "Parking was difficult and the signs to the clinic were confusing.",
    "The doctor listened to my worries and changed my medicine.",
    "My appointment was cancelled twice without any notice at all.",
    "Food was cold but the staff were friendly and helpful.",
    "Reception staff were rude when I asked about my test results.",
    "Very clean ward and the physiotherapist got me walking again.",
]
