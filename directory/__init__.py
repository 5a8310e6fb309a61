"""The org directory: units (省/市/县/乡/村/网格), people, positions, groups; login and devices."""
