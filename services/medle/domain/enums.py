"""The vocabularies of forensic-medicine activity (spec medle.md, "Enumerations").

Values named by the spec are kept verbatim. Where the spec says "as documented in the schemas",
the values below are the documentation; they follow the anchor (Medlé) forms, with codes that
survive a query string (no "+", no spaces, no accents).
"""

from enum import StrEnum


class Profile(StrEnum):
    """Who or what was examined. `autre:*` are the anchor's "Autre activité" sub-profiles."""

    VICTIME_VIVANTE = "victime_vivante"
    GARDE_A_VUE = "garde_a_vue"
    AGE_OSSEUX = "age_osseux"
    EXAMEN_OFPRA = "examen_ofpra"
    PERSONNE_DECEDEE = "personne_decedee"
    PERSONNE_RETENUE = "autre:personne_retenue"
    EXAMEN_ROUTE = "autre:examen_route"
    IPM = "autre:ipm"  # ivresse publique et manifeste
    ASSISES = "autre:assises"  # testimony before the cour d'assises
    RECONSTITUTION = "autre:reconstitution"
    ETUDE_DOSSIER = "autre:etude_dossier"


class ActType(StrEnum):
    SOMATIQUE = "somatique"
    PSYCHIATRIQUE = "psychiatrique"
    EXAMEN_EXTERNE = "examen_externe"
    LEVEE_DE_CORPS = "levee_de_corps"
    AUTOPSIE = "autopsie"
    ANTHROPOLOGIE = "anthropologie"
    ODONTOLOGIE = "odontologie"


class Examination(StrEnum):
    """Samples and complementary examinations ("prélèvements et examens complémentaires")."""

    BIOLOGIE = "biologie"
    IMAGERIE = "imagerie"
    TOXICOLOGIE = "toxicologie"
    ANAPATH = "anapath"
    GENETIQUE = "genetique"
    RADIOGRAPHIE = "radiographie"
    PANORAMIQUE_DENTAIRE = "panoramique_dentaire"
    AUTRE = "autre"


class ViolenceNature(StrEnum):
    COUPS_BLESSURES = "coups_blessures"
    SEXUELLE = "sexuelle"
    MALTRAITANCE = "maltraitance"
    PSYCHOLOGIQUE = "psychologique"
    SOUMISSION_CHIMIQUE = "soumission_chimique"
    # A collective accident is a large-scale event (AZF 2001, Lubrizol 2019), not a road
    # accident with several victims.
    ACCIDENT_COLLECTIF = "accident_collectif"
    ACCIDENT_NON_COLLECTIF = "accident_non_collectif"
    ATTENTAT = "attentat"  # always with the named attack


class ViolenceContext(StrEnum):
    CONJUGALE = "conjugale"
    INTRA_FAMILIALE = "intra_familiale"  # family, outside the couple
    TRAVAIL = "travail"
    VOIE_PUBLIQUE = "voie_publique"
    INSTITUTION = "institution"
    SCOLAIRE = "scolaire"
    AUTRE = "autre"


class PeriodOfDay(StrEnum):
    """Computed, never entered: see `calendar.period_of_day`."""

    JOUR_OUVRABLE = "jour_ouvrable"
    SOIREE = "soiree"
    NUIT_PROFONDE = "nuit_profonde"
    SAMEDI = "samedi"
    DIMANCHE_FERIE = "dimanche_ferie"


class AgeBand(StrEnum):
    """Age of the person examined, in years.

    The anchor's current victim bands, used for every profile so that national figures add up:
    0-2, 3-5, 6-10, 11-14, 15-17, 18 and over, and "non déterminé" (unknown body, age contested).
    Minors are every band below 18.
    """

    AGE_0_2 = "0-2"
    AGE_3_5 = "3-5"
    AGE_6_10 = "6-10"
    AGE_11_14 = "11-14"
    AGE_15_17 = "15-17"
    AGE_18_PLUS = "18-plus"
    NON_DETERMINE = "non_determine"

    @property
    def is_minor(self) -> bool:
        return self not in (AgeBand.AGE_18_PLUS, AgeBand.NON_DETERMINE)


class Gender(StrEnum):
    FEMININ = "feminin"
    MASCULIN = "masculin"
    AUTRE = "autre"
    NON_DETERMINE = "non_determine"


class DistanceBand(StrEnum):
    """Distance travelled by the doctor (body removal, court, reconstruction)."""

    VISIO = "visio"  # testimony by videoconference: no travel
    MOINS_50_KM = "moins_50_km"
    KM_50_150 = "50_150_km"
    PLUS_150_KM = "plus_150_km"


class DurationBand(StrEnum):
    """Time the doctor was mobilised (court, reconstruction, file study).

    One set for the three profiles; the anchor's "- de 4 heures" (assises, reconstitution) is
    `moins_2_h` or `2_4_h` here.
    """

    MOINS_2_H = "moins_2_h"
    H_2_4 = "2_4_h"
    H_4_8 = "4_8_h"
    PLUS_8_H = "plus_8_h"


class DeathCause(StrEnum):
    """The anchor's list: the figure the ministries follow is suicide."""

    SUICIDE = "suicide"
    SUICIDE_PROBABLE = "suicide_probable"
    AUTRE = "autre"


class Location(StrEnum):
    """Where the examination took place (the anchor's list; `autre` for anything else)."""

    UMJ = "umj"
    SERVICE_HOSPITALIER_PUBLIC = "service_hospitalier_public"
    SERVICE_HOSPITALIER_PRIVE = "service_hospitalier_prive"
    ETABLISSEMENT_PENITENTIAIRE = "etablissement_penitentiaire"
    CENTRE_DE_RETENTION = "centre_de_retention"
    MAISON_DE_RETRAITE = "maison_de_retraite"
    COMMISSARIAT = "commissariat"
    GENDARMERIE = "gendarmerie"
    TRIBUNAL = "tribunal"
    LOCAUX_DOUANIERS = "locaux_douaniers"
    LIEU_DE_CONTROLE = "lieu_de_controle"  # roadside check
    UAPED = "uaped"  # unité d'accueil pédiatrique enfants en danger
    MAISON_DES_FEMMES = "maison_des_femmes"
    AUTRE = "autre"


class AskerType(StrEnum):
    TGI = "tgi"
    COMMISSARIAT_POLICE = "commissariat_police"
    GENDARMERIE = "gendarmerie"
    PARQUET = "parquet"
    JUGE_INSTRUCTION = "juge_instruction"
    OTHER = "other"


class HospitalKind(StrEnum):
    UMJ = "umj"  # unité médico-judiciaire: the living
    IML = "iml"  # institut médico-légal: the dead
    UMJ_IML = "umj_iml"


class StaffingCategory(StrEnum):
    """ETP categories of the monthly staffing (spec: "Entities", staffing)."""

    DOCTORS = "doctors"
    SECRETARIES = "secretaries"
    NURSES = "nurses"
    EXECUTIVES = "executives"
    AUDITORIUM_AGENTS = "auditorium_agents"
    OTHERS = "others"
