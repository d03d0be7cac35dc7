/*
 * suite: `admitd test`, policy test suites for platform teams.
 */
#ifndef ADMITD_SUITE_H
#define ADMITD_SUITE_H

#include "config.h"

int suite_main(int argc, char **argv);

#endif
