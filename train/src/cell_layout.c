/* cell_layout.c: sizes and offsets of the forward cache and the backward scratch (cell_layout.h). */
#include "cell_layout.h"

#include <string.h>

#include "kiloml/cell.h"

void kml_cell_layout_of(const kml_model_config *cfg, int T, int B, kml_cell_layout *L)
{
    memset(L, 0, sizeof *L);
    const size_t TB = (size_t)(T > 0 ? T : 0) * (size_t)(B > 0 ? B : 0);
    const size_t Bz = (size_t)(B > 0 ? B : 0), H = (size_t)cfg->H;
    const size_t GH = (size_t)kml_cell_gates(cfg->cell) * H;
    const size_t rW = (size_t)cfg->rank_w, rU = (size_t)cfg->rank_u, K = KML_CELL_CHUNK;
    size_t a = 0, c2 = 0, c3 = 0, tmp = 0, dc = 0, dah = 0;
    switch (cfg->cell) {
    case KML_CELL_FASTRNN: a = TB * GH; break;
    case KML_CELL_FASTGRNN: a = TB * GH; c2 = TB * H; break;
    case KML_CELL_RNN: break;
    case KML_CELL_GRU: a = TB * GH; c2 = TB * H; tmp = Bz * GH; dah = K * Bz * GH; break;
    case KML_CELL_LSTM: a = TB * GH; c2 = TB * H; c3 = TB * H; tmp = Bz * H; dc = Bz * H; break;
    default: break;
    }
    size_t off = 0;
    L->xw1 = off; off += TB * rW;
    L->hu1 = off; off += TB * rU;
    L->a = off;   off += a;
    L->c2 = off;  off += c2;
    L->c3 = off;  off += c3;
    L->tmp = off; off += tmp;
    L->total = off;
    off = 0;
    L->dh = off;   off += Bz * H;
    L->dh2 = off;  off += Bz * H;
    L->dc = off;   off += dc;
    L->dax = off;  off += K * Bz * GH;
    L->dah = dah ? off : L->dax; off += dah;
    L->dhu1 = off; off += K * Bz * rU;
    L->dxw1 = off; off += K * Bz * rW;
    L->zero = off; off += Bz * H;
    L->ut = off;   off += rU ? GH * rU + rU * H : GH * H;
    L->wk_acc = GH + Bz * H;
    L->wk_gb = L->wk_acc + 2 * H;
    L->wk_gb2 = L->wk_gb + GH;
    L->wk_size = L->wk_gb2 + GH;
    L->wk = off;   off += KML_CELL_MAX_WORKERS * L->wk_size;
    L->s_total = off;
}

size_t kml_cell_cache_floats(const kml_model_config *cfg, int T, int B)
{
    kml_cell_layout L;
    kml_cell_layout_of(cfg, T, B, &L);
    return L.total;
}

size_t kml_cell_scratch_floats(const kml_model_config *cfg, int B)
{
    kml_cell_layout L;
    kml_cell_layout_of(cfg, 1, B, &L);
    return L.s_total;
}
