# NFSSR.py of XenServer 6.0.2
