/* opts.c: defaults of the data options. */
#include "kiloml/dataset.h"

#include <string.h>

void kml_data_opts_init(kml_data_opts *o)
{
    memset(o, 0, sizeof *o);
    o->x_name = "X";
    o->labels = "y";
    o->lengths_name = "lengths";
    o->group_name = NULL;
    o->timesteps = 0;
    o->layout = KML_LAYOUT_WIDE;
    o->label_col = -1;
    o->skip_cols = NULL;
    o->group_col = -1;
    o->test_frac = 0.2;
    o->seed = 0;
}
