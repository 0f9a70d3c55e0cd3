from forgegate.cli import main

raise SystemExit(main())
