"""OCDS 数据发布: OCDS 1.1 publication of every process (releases, compiled records, daily packages, bulk
download) and the importer of external OCDS data.
"""
