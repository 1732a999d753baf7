/** The RGB LED example on an ESP8266 with a WS2812 pixel on GPIO4 (D2) and a button on GPIO14 (D5). */
import { main } from './app';
import { ESP8266_WS2812 } from './profiles';

main(ESP8266_WS2812);
