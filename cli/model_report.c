/* cli/model_report.c: model size, shape and cost summary for train/eval output. */
#include <stdlib.h>
#include <stdio.h>
#include "model_report.h"

#include "kiloml/iht.h"

static size_t tensor_nnz(const kml_model *m, int id, size_t *n)
{
    *n = m->p[id] ? (size_t)m->shape[id].rows * (size_t)m->shape[id].cols : 0;
    size_t z = 0;
    for (size_t i = 0; i < *n; i++) z += m->p[id][i] != 0.0f;
    return z;
}

size_t kml_report_paper_bytes(const kml_model *m)
{
    size_t bytes = 0;
    for (int id = 0; id < KML_PARAM_COUNT; id++) {
        size_t n, z = tensor_nnz(m, id, &n);
        if (!n) continue;
        bytes += (double)z < 0.5 * (double)n ? z * 6 : n * 4;
    }
    return bytes;
}

void kml_report_model(FILE *f, const kml_model *m)
{
    const kml_model_config *c = &m->cfg;
    fprintf(f, "model: %s D=%d H=%d C=%d", kml_cell_name(c->cell), c->D, c->H, c->C);
    if (c->rank_w) fprintf(f, " rank_w=%d", c->rank_w);
    if (c->rank_u) fprintf(f, " rank_u=%d", c->rank_u);
    fprintf(f, " gate=%s update=%s\n", kml_nonlin_name(c->gate_nl), kml_nonlin_name(c->update_nl));
    for (int id = 0; id < KML_PARAM_COUNT; id++) {
        size_t n, z = tensor_nnz(m, id, &n);
        if (!n) continue;
        fprintf(f, "  %-6s %4d x %-4d %7zu params", kml_param_name((kml_param_id)id), m->shape[id].rows,
                m->shape[id].cols, n);
        if (z != n) fprintf(f, "  density %.3f (%zu nonzero)", (double)z / (double)n, z);
        fputc('\n', f);
    }
    fprintf(f, "parameters: %zu (%zu nonzero), %zu bytes as float32, %zu bytes as the paper counts sparse matrices\n",
            m->n_params, kml_model_nnz(m), kml_model_float_bytes(m), kml_report_paper_bytes(m));
    fprintf(f, "MACs per time step: %ld\n", kml_model_macs_per_step(m));
}

void kml_report_model_json(cJSON *o, const kml_model *m)
{
    cJSON_AddNumberToObject(o, "params", (double)m->n_params);
    cJSON_AddNumberToObject(o, "nnz", (double)kml_model_nnz(m));
    cJSON_AddNumberToObject(o, "model_bytes", (double)kml_model_float_bytes(m));
    cJSON_AddNumberToObject(o, "paper_bytes", (double)kml_report_paper_bytes(m));
    cJSON_AddNumberToObject(o, "macs_per_step", (double)kml_model_macs_per_step(m));
    cJSON_AddStringToObject(o, "cell", kml_cell_name(m->cfg.cell));
    cJSON_AddNumberToObject(o, "hidden", m->cfg.H);
}

void kml_cli_json_print(cJSON *o)
{
    char *txt = cJSON_PrintUnformatted(o);
    if (txt) puts(txt);
    free(txt);
    cJSON_Delete(o);
}
