/* kml_status.c: names of the status codes (host diagnostics; not linked unless called). */
#include "kiloml/kml_port.h"

const char *kml_status_name(kml_status s)
{
    switch (s) {
    case KML_OK: return "KML_OK";
    case KML_E_NULL: return "KML_E_NULL";
    case KML_E_CELL: return "KML_E_CELL";
    case KML_E_DIMS: return "KML_E_DIMS";
    case KML_E_LAYOUT: return "KML_E_LAYOUT";
    case KML_E_INDEX: return "KML_E_INDEX";
    case KML_E_QFORMAT: return "KML_E_QFORMAT";
    case KML_E_OVERFLOW: return "KML_E_OVERFLOW";
    case KML_E_NONLIN: return "KML_E_NONLIN";
    case KML_E_SCRATCH: return "KML_E_SCRATCH";
    case KML_E_VERSION: return "KML_E_VERSION";
    }
    return "KML_E_?";
}
