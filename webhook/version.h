/* version.h: admitd's version, for `admitd version` and the reports that name their tool. */
#ifndef ADMITD_VERSION_H
#define ADMITD_VERSION_H

#define ADMITD_VERSION "0.1.0"

#endif
