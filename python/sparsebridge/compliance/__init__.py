"""sparsebridge.compliance: a test kit for ``__binsparse__`` producers and ``from_binsparse`` consumers (issue 8).

Pure Python on NumPy. Entry points:

- :func:`check_producer` (``make(dense, format) -> array``) and :func:`check_consumer` (``from_binsparse``)
  return a :class:`Report` (``.ok``, ``.failures``, ``.render()``);
- ``python -m sparsebridge.compliance producer|consumer module:callable`` prints the report;
- :mod:`sparsebridge.compliance.pytest_plugin` parametrizes a library's own tests over the cases;
- :func:`decode`, :func:`encode` and :class:`ReferenceArray` are the independent decoder, encoder and producer.
"""

from .codec import DecodeError, canonical_problems, decode, encode, import_array
from .consumer_check import ConsumerCase, check_consumer, consumer_cases, reference_consumer, run_consumer_case
from .formats import Descriptor, DescriptorError, UnsupportedFormatError, parse_descriptor
from .producer_check import ProducerCase, check_producer, check_producer_case, producer_cases
from .producers import Constituent, RawProducer, ReferenceArray, raw_from_reference, reference_make
from .report import CHECKS, FAIL, PASS, UNSUPPORTED, Report, Row

__all__ = [
    "CHECKS",
    "FAIL",
    "PASS",
    "UNSUPPORTED",
    "Constituent",
    "ConsumerCase",
    "DecodeError",
    "Descriptor",
    "DescriptorError",
    "ProducerCase",
    "RawProducer",
    "ReferenceArray",
    "Report",
    "Row",
    "UnsupportedFormatError",
    "canonical_problems",
    "check_consumer",
    "check_producer",
    "check_producer_case",
    "consumer_cases",
    "decode",
    "encode",
    "import_array",
    "parse_descriptor",
    "producer_cases",
    "raw_from_reference",
    "reference_consumer",
    "reference_make",
    "run_consumer_case",
]
