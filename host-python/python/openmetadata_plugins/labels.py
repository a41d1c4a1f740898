"""An entity's labels, as a plugin's record names them, onto its OpenMetadata request: tags made
to exist (``OMetaTagAndClassification`` for those missing; an existing classification is sent back
unchanged) and set on the request, and an owner (a user, else a team, never created) set only on
an entity without one."""

from __future__ import annotations

import json
from collections.abc import Iterable

from metadata.generated.schema.api.classification.createClassification import CreateClassificationRequest
from metadata.generated.schema.api.classification.createTag import CreateTagRequest
from metadata.generated.schema.entity.classification.classification import Classification
from metadata.generated.schema.entity.classification.tag import Tag
from metadata.generated.schema.entity.teams.team import Team
from metadata.generated.schema.entity.teams.user import User
from metadata.ingestion.api.models import Either
from metadata.ingestion.models.ometa_classification import OMetaTagAndClassification
from metadata.ingestion.ometa.client import APIError
from metadata.ingestion.ometa.ometa_api import OpenMetadata
from metadata.utils.logger import ingestion_logger

from openmetadata_plugins import _native
from openmetadata_plugins.entities import EntityType, quote

logger = ingestion_logger()

#: The model of each kind of owner.
OWNER_MODELS = {"user": User, "team": Team}

#: What a look-up through OpenMetadata's client raises: the server's error answer, a failed
#: connection (requests' errors are OSErrors), an answer its models cannot read.
LOOKUP_ERRORS = (APIError, OSError, ValueError)


class Labels:
    """The tags and classifications known to exist, for one run."""

    def __init__(self, metadata: OpenMetadata):
        self.metadata = metadata
        self.known_tags: set[str] = set()
        #: By name: the request that leaves the classification as it is (an existing one sent
        #: back unchanged), and whether this run made it.
        self.classifications: dict[str, tuple[CreateClassificationRequest, bool]] = {}
        #: Owners looked up by name: the reference found (a user's or a team's, JSON), or None.
        self.known_owners: dict[str, str | None] = {}

    def apply(
        self,
        entity: EntityType,
        fqn: str,
        labels: dict,
        body: dict,
        has_owners: bool | None = None,
    ) -> Iterable[Either]:
        """The entity's tags (made to exist) and owner onto its request ``body``; the requests
        that make missing tags exist, for the sink. ``has_owners``: whether the entity has
        owners in OpenMetadata, as the run's listing says (``None``: not listed, so it is read)."""
        for tag in labels.get("tags") or []:
            if not tag.get("classification") or not tag.get("name"):
                continue
            label, classification_request, tag_request = (json.loads(r) for r in _native.tag_requests(json.dumps(tag)))
            tag_fqn = label["tagFQN"]
            try:
                yield from self._ensure_tag(tag["classification"], tag_fqn, classification_request, tag_request)
            except LOOKUP_ERRORS as err:  # a failed look-up leaves the tag off, named
                logger.warning(f"tag {tag_fqn} not attached to {fqn}: {err}")
                continue
            tags = body.setdefault("tags", [])
            if not any(t.get("tagFQN") == tag_fqn for t in tags):
                tags.append(label)
        owners = labels.get("owners") or []
        if owners:
            self._owner(entity, fqn, owners, body, has_owners)

    def _ensure_tag(
        self, classification: str, tag_fqn: str, classification_request: dict, tag_request: dict
    ) -> Iterable[Either]:
        """Makes the tag exist: its classification and itself created when missing (the bodies
        ``host_core::labels`` makes), never changed when present (an existing classification is
        sent back as it is)."""
        if tag_fqn in self.known_tags:
            return
        if classification not in self.classifications:
            existing = self.metadata.get_by_name(entity=Classification, fqn=quote(classification))
            if existing is not None:
                description = existing.description.root if existing.description else ""
                request = CreateClassificationRequest(name=classification, description=description)
            else:
                request = CreateClassificationRequest.model_validate(classification_request)
            self.classifications[classification] = (request, existing is None)
        request, made_now = self.classifications[classification]
        # A tag of a classification made by this run cannot exist yet: not looked up.
        if not made_now and self.metadata.get_by_name(entity=Tag, fqn=tag_fqn) is not None:
            self.known_tags.add(tag_fqn)
            return
        self.known_tags.add(tag_fqn)
        yield Either(
            right=OMetaTagAndClassification(
                fqn=None, classification_request=request, tag_request=CreateTagRequest.model_validate(tag_request)
            )
        )

    def _owner(
        self,
        entity: EntityType,
        fqn: str,
        owners: list[str],
        body: dict,
        has_owners: bool | None,
    ) -> None:
        """Sets the first owner found among users, then teams, on an entity without one;
        people's choice of owner is kept, and owners are never created."""
        if has_owners is None:
            try:
                current = self.metadata.get_by_name(entity=entity.entity_class, fqn=fqn, fields=["owners"])
            except LOOKUP_ERRORS as err:
                logger.warning(f"the owner of {fqn} is left as it is: {err}")
                return
            has_owners = bool(current is not None and current.owners and current.owners.root)
        _, reference, warning = _native.choose_owner(fqn, owners, has_owners, self._find_owner, LOOKUP_ERRORS)
        if reference is not None:
            body["owners"] = [json.loads(reference)]
        if warning is not None:
            logger.warning(warning)

    def _find_owner(self, name: str) -> str | None:
        """A user, else a team (``_native.OWNER_TYPES``), of that name, as an owner reference
        (JSON); looked up once a run."""
        if name not in self.known_owners:
            reference = None
            for kind in _native.OWNER_TYPES:
                found = self.metadata.get_by_name(entity=OWNER_MODELS[kind], fqn=quote(name))
                if found is not None:
                    reference = json.dumps({"id": str(found.id.root), "type": kind})
                    break
            self.known_owners[name] = reference
        return self.known_owners[name]
