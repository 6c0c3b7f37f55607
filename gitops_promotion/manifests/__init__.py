"""Flux image-policy markers in manifests: find them, read them, rewrite their scalars byte for byte.

Pure file I/O, no git (DESIGN 4). Callers that read other revisions pass bytes to ``markers_in_bytes``.
"""

from gitops_promotion.manifests.edit import (
    FileEdit,
    apply_edits,
    current_image,
    encode_scalar,
    plan_edits,
    scan_markers,
)
from gitops_promotion.manifests.images import (
    ImageRef,
    format_image_ref,
    parse_image_ref,
    validate_digest,
    validate_tag,
)
from gitops_promotion.manifests.markers import Marker, markers_in_bytes
from gitops_promotion.manifests.scan import find_candidates

__all__ = [
    "FileEdit",
    "ImageRef",
    "Marker",
    "apply_edits",
    "current_image",
    "encode_scalar",
    "find_candidates",
    "format_image_ref",
    "markers_in_bytes",
    "parse_image_ref",
    "plan_edits",
    "scan_markers",
    "validate_digest",
    "validate_tag",
]
