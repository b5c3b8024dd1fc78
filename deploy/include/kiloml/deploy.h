/* kiloml/deploy.h: the device runtime in one include (see kml_rnn.h for how to use it). */
#ifndef KILOML_DEPLOY_H
#define KILOML_DEPLOY_H

#include "kiloml/kml_port.h"
#include "kiloml/kml_q.h"
#include "kiloml/kml_mat.h"
#include "kiloml/kml_rnn.h"

#endif
