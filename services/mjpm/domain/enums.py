"""The vocabulary of eMJPM: every enumerated value of the mjpm spec, as it travels in JSON."""

from enum import StrEnum


class ManagerKind(StrEnum):
    """The three kinds of mandataire judiciaire à la protection des majeurs."""

    INDIVIDUEL = "individuel"  # a person in private practice, SIRET
    PREPOSE = "prepose"  # an employee of an establishment, FINESS
    SERVICE = "service"  # an association or service with antennas, SIRET


class RegistryStatus(StrEnum):
    """Where a manager's application to the registry stands, as stored."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ManagerStanding(StrEnum):
    """The registry status with the suspension folded in: the states of the registry workflow.

    `suspended` is an approved manager whose suspension is in force; it is stored as
    `registry_status = approved` plus a suspension reason.
    """

    PENDING = "pending"
    APPROVED = "approved"
    SUSPENDED = "suspended"
    REJECTED = "rejected"


class RegistryAction(StrEnum):
    APPLY = "apply"
    APPROVE = "approve"
    REJECT = "reject"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


class MeasureStatus(StrEnum):
    EN_ATTENTE = "en_attente"  # reserved by the court, not yet accepted by the manager
    EN_COURS = "en_cours"
    ETEINTE = "eteinte"
    ANNULEE = "annulee"  # withdrawn by the court, or expired unaccepted


class MeasureAction(StrEnum):
    """The transitions of a measure, each its own POST (`/v1/measures/{id}/accept`)."""

    RESERVE = "reserve"
    RECORD = "record"
    ACCEPT = "accept"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"
    CLOSE = "close"
    REACTIVATE = "reactivate"
    REOPEN = "reopen"


class MeasureNature(StrEnum):
    TUTELLE = "tutelle"
    CURATELLE_SIMPLE = "curatelle_simple"
    CURATELLE_RENFORCEE = "curatelle_renforcee"
    SAUVEGARDE_JUSTICE = "sauvegarde_justice"
    MESURE_ACCOMPAGNEMENT_JUDICIAIRE = "mesure_accompagnement_judiciaire"
    MANDAT_PROTECTION_FUTURE = "mandat_protection_future"
    MESURE_AD_HOC = "mesure_ad_hoc"
    SUBROGE_TUTEUR = "subroge_tuteur"
    SUBROGE_CURATEUR = "subroge_curateur"


class ProtectionScope(StrEnum):
    """The `champ` of a measure: what it protects."""

    PROTECTION_BIEN = "protection_bien"
    PROTECTION_PERSONNE = "protection_personne"
    PROTECTION_BIEN_PERSONNE = "protection_bien_personne"


class LivingPlace(StrEnum):
    """The `lieu de vie` of the protected person."""

    DOMICILE = "domicile"
    ETABLISSEMENT = "etablissement"
    ETABLISSEMENT_CONSERVATION_DOMICILE = "etablissement_conservation_domicile"
    SDF = "sdf"


class EstablishmentType(StrEnum):
    """Where a person living in an establishment lives (values of the eMJPM editor API)."""

    ETABLISSEMENT_HANDICAPES = "etablissement_handicapes"
    ETABLISSEMENT_HOSPITALIER = "etablissement_hospitalier"
    ETABLISSEMENT_PERSONNE_AGEE = "etablissement_personne_agee"
    ETABLISSEMENT_PSYCHIATRIQUE = "etablissement_psychiatrique"
    AUTRE_ETABLISSEMENT_S_MS = "autre_etablissement_s_ms"
    AUTRE_ETABLISSEMENT = "autre_etablissement"


class ExitCause(StrEnum):
    CADUCITE = "caducite"
    DECES = "deces"
    MAINLEVEE = "mainlevee"
    DESSAISISSEMENT_FAMILLE = "dessaisissement_famille"
    DESSAISISSEMENT_AUTRE_MJPM = "dessaisissement_autre_mjpm"


class ReviewResult(StrEnum):
    RECONDUCTION = "reconduction"
    AGGRAVATION = "aggravation"
    ALLEGEMENT = "allegement"
    MAINLEVEE = "mainlevee"
    DESSAISISSEMENT_FAMILLE = "dessaisissement_famille"
    DESSAISISSEMENT_AUTRE_MJPM = "dessaisissement_autre_mjpm"


class Sex(StrEnum):
    FEMME = "F"
    HOMME = "H"


class Role(StrEnum):
    JUDGE = "mjpm:judge"
    CLERK = "mjpm:clerk"
    MANAGER = "mjpm:manager"
    SERVICE_ADMIN = "mjpm:service_admin"
    STATE_AGENT = "mjpm:state_agent"
    REPORT = "mjpm:report"
    ADMIN = "mjpm:admin"


class Scope(StrEnum):
    """Scopes of partner clients (management software) and reporting clients."""

    MEASURES_READ = "mjpm:measures:read"
    MEASURES_WRITE = "mjpm:measures:write"
    REPORT = "mjpm:report"
