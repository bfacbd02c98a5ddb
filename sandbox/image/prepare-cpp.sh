mkdir -p /opt/referee/pch/bits
g++ -std=c++17 -O2 -pipe -x c++-header "/usr/include/$(gcc -dumpmachine)/c++/12/bits/stdc++.h" -o /opt/referee/pch/bits/stdc++.h.gch
chmod -R a+rX /opt/referee/pch
